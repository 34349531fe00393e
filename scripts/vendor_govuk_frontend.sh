#!/usr/bin/env bash
# Vendor the GOV.UK Frontend assets (CSS, JS, fonts, images) from the npm registry into
# frontdoor/web/static/govuk, so the dashboard serves them locally: no CDN, no npm at run time.
# Re-run to upgrade: scripts/vendor_govuk_frontend.sh 6.6.0
set -euo pipefail
VERSION="${1:-6.6.0}"
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "govuk-frontend@${VERSION}" >/dev/null && tar xzf govuk-frontend-*.tgz)
dist="$tmp/package/dist/govuk"
dest=frontdoor/web/static/govuk
rm -rf "$dest"
mkdir -p "$dest"
cp "$dist/govuk-frontend.min.css" "$dist/govuk-frontend.min.js" "$dest/"
cp -r "$dist/assets" "$dest/assets"
# GDS Transport is licensed for GOV.UK services only: a council service uses Arial (see app.css).
rm -rf "$dest/assets/fonts"
cp "$tmp/package/LICENSE.txt" "$dest/LICENSE.txt" 2>/dev/null || true
echo "$VERSION" > "$dest/VERSION"
echo "govuk-frontend $VERSION -> $dest ($(du -sh "$dest" | cut -f1))"
