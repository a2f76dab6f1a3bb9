package io.latchkey.raft;

/** Why a node campaigns; the value travels in the context of vote messages. */
enum CampaignType {
    PRE_ELECTION("CampaignPreElection"),
    ELECTION("CampaignElection"),
    TRANSFER("CampaignTransfer");

    private final String wireName;

    CampaignType(String wireName) {
        this.wireName = wireName;
    }

    /** The text etcd uses in the message context and in logs. */
    String wireName() {
        return wireName;
    }

    @Override
    public String toString() {
        return wireName;
    }
}
