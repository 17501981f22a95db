#!/usr/bin/env bash
# Rotate the backups written by `manage.py backup --out ROOT/daily/YYYY-MM-DD`
# (docs/deploy.md "Backups"): keep the newest DAILY daily folders; the first complete
# backup of each month is also kept (hard-linked) as ROOT/monthly/YYYY-MM, the newest
# MONTHLY of those are kept. Folders without manifest.json (a failed backup) are removed.
#
#   scripts/backup-rotate.sh [ROOT]     (default /srv/backups/govmedia; DAILY=30 MONTHLY=12)
set -euo pipefail

ROOT="${1:-/srv/backups/govmedia}"
DAILY="${DAILY:-30}"
MONTHLY="${MONTHLY:-12}"
mkdir -p "$ROOT/daily" "$ROOT/monthly"

for dir in "$ROOT"/daily/*/; do
    [[ -d "$dir" ]] || continue
    if [[ ! -f "$dir/manifest.json" ]]; then
        echo "backup-rotate: removing incomplete backup $dir" >&2
        rm -rf -- "$dir"
        continue
    fi
    day="$(basename "$dir")"
    month="${day:0:7}"
    [[ -e "$ROOT/monthly/$month" ]] || cp -al -- "$dir" "$ROOT/monthly/$month"
done

prune() {
    # prune FOLDER KEEP: delete all but the KEEP newest entries (names sort by date).
    local folder="$1" keep="$2"
    ls -1 "$folder" | sort | head -n "-$keep" | while read -r old; do
        rm -rf -- "${folder:?}/$old"
    done
}
prune "$ROOT/daily" "$DAILY"
prune "$ROOT/monthly" "$MONTHLY"
