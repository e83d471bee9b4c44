#!/usr/bin/env bash
# Render a .docx to PDF (LibreOffice headless) and PNG pages (pdftoppm), to look at a drafted
# report as a reader would.
#
#   scripts/render_docx.sh REPORT.docx [OUTDIR] [DPI]     # default OUTDIR: next to the file, DPI 80
#
# Prints the PDF path and one PNG path per page (OUTDIR/<name>-1.png, ...). Needs LibreOffice
# (Debian: libreoffice-writer-nogui) and poppler-utils; CJK fonts: fonts-noto-cjk,
# fonts-arphic-ukai/uming, and FandolFang/FandolKai (texlive-lang-chinese) for 仿宋/楷体.
# scripts/fonts.conf maps the 公文 font names (仿宋_GB2312, 楷体_GB2312, 黑体, 方正小标宋简体) onto
# those free fonts for this rendering only.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
docx="$(realpath "$1")"
outdir="$(realpath -m "${2:-$(dirname "$docx")}")"
dpi="${3:-80}"
command -v soffice >/dev/null || { echo "缺少 LibreOffice（apt-get install libreoffice-writer-nogui）" >&2; exit 3; }
command -v pdftoppm >/dev/null || { echo "缺少 pdftoppm（apt-get install poppler-utils）" >&2; exit 3; }
mkdir -p "$outdir"
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
FONTCONFIG_FILE="$here/fonts.conf" soffice --headless --norestore \
  "-env:UserInstallation=file://$profile" --convert-to pdf --outdir "$outdir" "$docx" >/dev/null
name="$(basename "${docx%.*}")"
pdf="$outdir/$name.pdf"
[ -s "$pdf" ] || { echo "LibreOffice 未生成 PDF：$pdf" >&2; exit 1; }
pdftoppm -r "$dpi" -png "$pdf" "$outdir/$name"
echo "$pdf"
ls "$outdir/$name"-*.png
