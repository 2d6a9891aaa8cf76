#!/usr/bin/env bash
# Debian packages the test suite drives for real: Chromium (browser tests),
# espeak-ng and sox (speech made at test time for the Vosk engine), nginx (the shipped reverse
# proxy configuration, run in front of the app), a CJK font so the screenshots show Chinese
# rather than boxes, and prometheus for its promtool (the alert rules in deploy/monitoring/).
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
command -v sox >/dev/null || missing+=(sox)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v promtool >/dev/null || missing+=(prometheus)
fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || missing+=(fonts-wqy-microhei)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
