#!/bin/sh
# Every C++ source follows the committed .clang-format: clang-format would change nothing.
# Usage: check-format.sh SOURCE_DIR
set -eu
cd "$1"
command -v clang-format >/dev/null || { echo "clang-format is missing: ./scripts/test installs it"; exit 1; }
files=$(find app ui server tests -name node_modules -prune -o \( -name '*.cpp' -o -name '*.h' \) -print | sort)
[ -n "$files" ] || { echo "no sources found under $1"; exit 1; }
# --Werror turns each needed change into an error naming the file and line.
echo "$files" | xargs clang-format --dry-run --Werror
echo "$(echo "$files" | wc -l) files formatted as .clang-format says"
