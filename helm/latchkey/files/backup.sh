# Saves a backup of the cluster's state (GET /v1/maintenance/snapshot) into BACKUP_DIR as
# latchkey-<UTC time>.snapshot with a .sha256 beside it (sha256sum -c reads it), checks the
# body against the checksum header first, and keeps the newest BACKUP_KEEP backups.
# Restore one with: java -jar latchkey.jar restore FILE --data-dir DIR (README, Backup and restore).
# Environment: LATCHKEY_URL (the client service), BACKUP_DIR, BACKUP_KEEP, and BACKUP_TOKEN
# (an admin bearer token) when client auth is on. POSIX sh with curl and sha256sum.
set -eu
name="latchkey-$(date -u +%Y%m%dT%H%M%SZ).snapshot"
partial="$BACKUP_DIR/.$name.partial"
trap 'rm -f "$partial" "$partial.headers"' EXIT
if [ -n "${BACKUP_TOKEN:-}" ]; then
  set -- -H "Authorization: Bearer $BACKUP_TOKEN"
else
  set --
fi
# HTTP/2: Helidon 4.4.0's HTTP/1.1 answers end short from some tens of MB (README, Backup and restore).
case "$LATCHKEY_URL" in
  https:*) http2=--http2 ;;
  *) http2=--http2-prior-knowledge ;;
esac
curl -fsS "$http2" --retry 5 --retry-delay 2 --retry-all-errors "$@" -D "$partial.headers" -o "$partial" \
  "$LATCHKEY_URL/v1/maintenance/snapshot"
expected=$(tr -d '\r' <"$partial.headers" | awk -F': ' 'tolower($1) == "latchkey-snapshot-sha256" { print $2 }' | tail -n 1)
actual=$(sha256sum "$partial" | cut -d' ' -f1)
if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
  echo "backup: the body's SHA-256 $actual is not the header's '$expected'; nothing saved" >&2
  exit 1
fi
mv "$partial" "$BACKUP_DIR/$name"
(cd "$BACKUP_DIR" && echo "$actual  $name" >"$name.sha256")
ls -1 "$BACKUP_DIR" | grep '^latchkey-.*\.snapshot$' | sort -r | tail -n +$((BACKUP_KEEP + 1)) | while read -r old; do
  rm -f "$BACKUP_DIR/$old" "$BACKUP_DIR/$old.sha256"
done
echo "backup: saved $BACKUP_DIR/$name (sha256 $actual)"
