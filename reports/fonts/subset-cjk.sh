#!/bin/sh
# Makes fonts/DroidSansFallback-subset.ttf, the reports' fallback font for
# Chinese, Japanese and Korean, from Debian's fonts-droid-fallback (Droid
# Sans Fallback, Apache-2.0, TrueType outlines: gofpdf embeds only glyf
# fonts, so Debian's CFF-outlined Noto CJK will not do). The subset keeps
# the ideographs of the national character sets people's names are written
# in (GB 2312, Big5, JIS X 0208, KS X 1001's hanja), the 2,350 Hangul
# syllables of KS X 1001, kana, CJK punctuation and full-width forms:
# about 19,500 characters in 2.4 MB instead of 33,000 in 3.4 MB.
#
# Needs: apt-get install fonts-droid-fallback fonttools
# Run from reports/fonts: sh subset-cjk.sh (see README.md)
set -eu
src=/usr/share/fonts-droid-fallback/truetype/DroidSansFallback.ttf
list=$(mktemp)
trap 'rm -f "$list"' EXIT
/usr/bin/python3 - "$list" <<'PY'
import sys

def chars(codec, leads, trails):
    out = set()
    for a in leads:
        for b in trails:
            try:
                c = bytes([a, b]).decode(codec)
            except UnicodeDecodeError:
                continue
            if len(c) == 1:
                out.add(ord(c))
    return out

def ideographs(s):
    return {c for c in s if 0x3400 <= c <= 0x4DBF or 0x4E00 <= c <= 0x9FFF or 0xF900 <= c <= 0xFAFF}

big5_trails = list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF))
keep = (ideographs(chars('gb2312', range(0xA1, 0xFF), range(0xA1, 0xFF)))
        | ideographs(chars('big5', range(0xA1, 0xFA), big5_trails))
        | ideographs(chars('euc_jp', range(0xA1, 0xFF), range(0xA1, 0xFF)))
        | ideographs(chars('euc_kr', range(0xA1, 0xFF), range(0xA1, 0xFF)))
        | {c for c in chars('euc_kr', range(0xB0, 0xC9), range(0xA1, 0xFF)) if 0xAC00 <= c <= 0xD7A3})
with open(sys.argv[1], 'w') as f:
    f.write('\n'.join('U+%04X' % c for c in sorted(keep)))
PY
pyftsubset "$src" --unicodes-file="$list" \
	--unicodes='U+3000-303F,U+3040-309F,U+30A0-30FF,U+31F0-31FF,U+3131-318E,U+FF01-FF60,U+FF61-FF9F,U+FFE0-FFE6' \
	--layout-features='' --drop-tables+=GSUB,GPOS,GDEF,vhea,vmtx --no-hinting --name-IDs='*' --notdef-outline \
	--output-file=DroidSansFallback-subset.ttf
