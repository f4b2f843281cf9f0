#!/usr/bin/env bash
# Regenerates data/satellite.csv, data/letter.csv, data/house_votes_84.csv and data/breast_cancer_original.csv
# byte for byte from the R package mlbench as Debian bookworm ships it, then checks their sha256 against
# data/README.md.
#   apt-get install -y r-base-core r-cran-mlbench     (as root; nothing else is needed)
#   scripts/datasets/export-r-datasets.sh [output directory, default data/]
# Other package versions may hold other data: the script refuses them unless PRIVAUDIT_ANY_R_VERSION=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-data}"

expect_version() {
  local pkg="$1" want="$2" have
  have="$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)"
  if [ -z "$have" ]; then
    echo "export-r-datasets: $pkg is not installed; run: apt-get install -y r-base-core r-cran-mlbench" >&2
    exit 1
  fi
  if [ "$have" != "$want" ] && [ "${PRIVAUDIT_ANY_R_VERSION:-0}" != "1" ]; then
    echo "export-r-datasets: $pkg is $have, the data was exported from $want (PRIVAUDIT_ANY_R_VERSION=1 to go on)" >&2
    exit 1
  fi
}
expect_version r-base-core 4.2.2.20221110-2
expect_version r-cran-mlbench 2.1-3-1

mkdir -p "$out"
LC_ALL=C.UTF-8 Rscript --vanilla scripts/datasets/export-r-datasets.R "$out"

# The declared hashes: the `| sha256 | `...` |` row of each file's section in data/README.md.
status=0
for file in satellite.csv letter.csv house_votes_84.csv breast_cancer_original.csv; do
  want="$(awk -v f="## $file" '$0 == f { on = 1; next } /^## / { on = 0 } on && /^\| sha256/ { gsub(/[|` ]/, "", $0); sub(/^sha256/, "", $0); print; exit }' data/README.md)"
  have="$(sha256sum "$out/$file" | cut -d' ' -f1)"
  if [ "$want" = "$have" ]; then
    echo "$file: $have (as declared in data/README.md)"
  else
    echo "$file: sha256 $have differs from data/README.md's ${want:-<none>}" >&2
    status=1
  fi
done
exit $status
