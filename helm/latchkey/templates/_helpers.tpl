{{- define "latchkey.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "latchkey.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "latchkey.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "latchkey.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "latchkey.headless" -}}
{{- printf "%s-headless" (include "latchkey.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "latchkey.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "latchkey.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Only the StatefulSet's pods carry component=server: hook and test pods must not be
selected by the Services, the PDB or the NetworkPolicy's peer rule. */}}
{{- define "latchkey.selectorLabels" -}}
app.kubernetes.io/name: {{ include "latchkey.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end }}

{{- define "latchkey.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "latchkey.peerSecretName" -}}
{{- default (include "latchkey.fullname" .) .Values.peer.existingSecret }}
{{- end }}

{{- define "latchkey.peerTlsSecretName" -}}
{{- if .Values.peer.tls.existingSecret }}
{{- .Values.peer.tls.existingSecret }}
{{- else if .Values.peer.tls.certManager.enabled }}
{{- printf "%s-peer-tls" (include "latchkey.fullname" .) }}
{{- else }}
{{- fail "peer.tls.enabled needs peer.tls.existingSecret or peer.tls.certManager.enabled" }}
{{- end }}
{{- end }}

{{/* Where the node finds the peer TLS files; the LATCHKEY_PEER_TLS_* variables name them. */}}
{{- define "latchkey.peerTlsDir" -}}
/etc/latchkey/peer-tls
{{- end }}

{{/* The client port's certificate: its own Secret, or under peer TLS the members' certificate. */}}
{{- define "latchkey.clientTlsSecretName" -}}
{{- if .Values.clientTls.existingSecret }}
{{- .Values.clientTls.existingSecret }}
{{- else if .Values.peer.tls.enabled }}
{{- include "latchkey.peerTlsSecretName" . }}
{{- else }}
{{- fail "clientTls.enabled needs clientTls.existingSecret (or peer.tls.enabled, whose Secret it then uses)" }}
{{- end }}
{{- end }}

{{- define "latchkey.clientTlsDir" -}}
/etc/latchkey/client-tls
{{- end }}

{{- define "latchkey.clientScheme" -}}
{{- ternary "https" "http" .Values.clientTls.enabled }}
{{- end }}

{{/* Helidon's server.tls settings of the client port, as system properties: Helidon reads a
socket's TLS as a tree of keys, which environment variables do not spell. */}}
{{- define "latchkey.javaToolOptions" -}}
{{- $options := list .Values.javaToolOptions }}
{{- if .Values.clientTls.enabled }}
{{- $dir := include "latchkey.clientTlsDir" . }}
{{- $options = append $options "-Dserver.tls.enabled=true" }}
{{- $options = append $options (printf "-Dserver.tls.private-key.pem.cert-chain.resource.path=%s/tls.crt" $dir) }}
{{- $options = append $options (printf "-Dserver.tls.private-key.pem.key.resource.path=%s/tls.key" $dir) }}
{{- if eq .Values.clientTls.clientAuth "OPTIONAL" }}
{{- $options = append $options "-Dserver.tls.client-auth=OPTIONAL" }}
{{- $options = append $options (printf "-Dserver.tls.trust.pem.certificates.resource.path=%s/ca.crt" $dir) }}
{{- end }}
{{- end }}
{{- join " " $options }}
{{- end }}

{{/* The admin token the membership automation sends when client authentication is on. */}}
{{- define "latchkey.adminTokenDir" -}}
/etc/latchkey/admin-token
{{- end }}

{{- define "latchkey.adminTokenSecretName" -}}
{{- required "auth.enabled needs auth.adminTokenSecret.name (a Secret holding a JWT with the admin group, for the membership automation and helm test)" .Values.auth.adminTokenSecret.name }}
{{- end }}

{{- define "latchkey.jwtKeyDir" -}}
/etc/latchkey/jwt
{{- end }}

{{/* Generated secrets keep their first value: a new peer secret on upgrade would split the cluster. */}}
{{- define "latchkey.generatedSecret" -}}
{{- $existing := lookup "v1" "Secret" .context.Release.Namespace (include "latchkey.fullname" .context) }}
{{- if and $existing $existing.data (hasKey $existing.data .key) }}
{{- index $existing.data .key }}
{{- else }}
{{- randAlphaNum 40 | b64enc }}
{{- end }}
{{- end }}

{{/* The bootstrap member count is fixed at install: a later `replicas` only changes how many
pods run, and the extra ones join through the membership API instead of bootstrapping. */}}
{{- define "latchkey.bootstrapReplicas" -}}
{{- $existing := lookup "v1" "ConfigMap" .Release.Namespace (printf "%s-membership" (include "latchkey.fullname" .)) }}
{{- if and $existing $existing.data (hasKey $existing.data "bootstrap-replicas") }}
{{- index $existing.data "bootstrap-replicas" }}
{{- else }}
{{- .Values.replicas }}
{{- end }}
{{- end }}

{{- define "latchkey.schemaPrefix" -}}
{{- default (printf "%s_" (include "latchkey.fullname" . | replace "-" "_")) .Values.postgresql.external.schemaPrefix }}
{{- end }}

{{- define "latchkey.podSecurityContext" -}}
{{- toYaml .Values.podSecurityContext }}
{{- end }}

{{- define "latchkey.containerSecurityContext" -}}
{{- toYaml .Values.containerSecurityContext }}
{{- end }}

{{/* Environment the membership script needs, shared by the init container, the member-agent
and the scale-down hook. */}}
{{- define "latchkey.membershipEnv" -}}
- name: MEMBERSHIP_STATEFULSET
  value: {{ include "latchkey.fullname" . }}
- name: MEMBERSHIP_CLIENT_SERVICE
  value: {{ include "latchkey.fullname" . }}
- name: LATCHKEY_K8S_SERVICE_NAME
  value: {{ include "latchkey.headless" . }}
- name: LATCHKEY_K8S_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: LATCHKEY_K8S_CLUSTER_DOMAIN
  value: {{ .Values.clusterDomain | quote }}
- name: SERVER_PORT
  value: {{ .Values.ports.http | quote }}
- name: LATCHKEY_PEER_PORT
  value: {{ .Values.ports.peer | quote }}
{{- if .Values.peer.tls.enabled }}
# The script derives the members' peer URLs, https:// under TLS, as the node does.
- name: LATCHKEY_PEER_TLS_ENABLED
  value: "true"
{{- end }}
{{- if .Values.clientTls.enabled }}
# ... and their client URLs, https:// with the client port's TLS, trusting the CA of its certificate.
- name: MEMBERSHIP_CLIENT_SCHEME
  value: https
- name: MEMBERSHIP_CA_FILE
  value: {{ include "latchkey.clientTlsDir" . }}/ca.crt
{{- end }}
{{- if .Values.auth.enabled }}
- name: MEMBERSHIP_TOKEN_FILE
  value: {{ include "latchkey.adminTokenDir" . }}/token
{{- end }}
{{- end }}

{{/* What the membership script's containers mount for the above (the volumes are below). */}}
{{- define "latchkey.membershipMounts" -}}
{{- if .Values.clientTls.enabled }}
- name: client-tls-ca
  mountPath: {{ include "latchkey.clientTlsDir" . }}
  readOnly: true
{{- end }}
{{- if .Values.auth.enabled }}
- name: admin-token
  mountPath: {{ include "latchkey.adminTokenDir" . }}
  readOnly: true
{{- end }}
{{- end }}

{{- define "latchkey.membershipVolumes" -}}
{{- if .Values.clientTls.enabled }}
# Only the CA: the membership containers verify the client port, they do not serve it.
- name: client-tls-ca
  secret:
    secretName: {{ include "latchkey.clientTlsSecretName" . }}
    defaultMode: 288  # 0440
    items:
      - key: ca.crt
        path: ca.crt
{{- end }}
{{- if .Values.auth.enabled }}
- name: admin-token
  secret:
    secretName: {{ include "latchkey.adminTokenSecretName" . }}
    defaultMode: 288  # 0440
    items:
      - key: {{ .Values.auth.adminTokenSecret.key }}
        path: token
{{- end }}
{{- end }}
