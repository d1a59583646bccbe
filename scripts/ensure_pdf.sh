#!/usr/bin/env bash
# The PDF report (WeasyPrint) needs Pango and fonts at run time; the tests read PDFs back
# with poppler's pdftotext. Installs Debian's packages when one is missing.
set -euo pipefail
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
if have_lib libpango-1.0.so.0 && have_lib libpangoft2-1.0.so.0 \
  && command -v pdftotext >/dev/null && fc-list 2>/dev/null | grep -qi "dejavu"; then
  exit 0
fi
echo "[pdf] installing Pango, fonts and poppler-utils for the PDF report and its tests"
SUDO=""; if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils >/dev/null
