#!/usr/bin/env bash
# Real-music demo catalogue: composed game soundtracks from Debian packages (fetched with
# `apt-get download`, unpacked with `dpkg -x`, nothing installed), turned into a features JSONL
# with the game as the label, then a hubness report (raw SKL vs Mutual Proximity).
#
# Usage: infra/demo-catalogue.sh            (needs apt-get, dotnet; installs ffmpeg when missing and root)
# Environment: DEMO_DIR (work folder, default /tmp/orleanshub-demo; audio never enters the repo),
#              PARALLEL (features --parallel, default 2), SKIP_ANALYZE=1 (stop after features).
set -euo pipefail

DEMO_DIR="${DEMO_DIR:-/tmp/orleanshub-demo}"
PARALLEL="${PARALLEL:-2}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEBS="$DEMO_DIR/debs"
EXTRACT="$DEMO_DIR/extract"
MUSIC="$DEMO_DIR/music"
FEATS="$DEMO_DIR/features.jsonl"

if ! command -v ffmpeg >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing ffmpeg (needed to decode Ogg/Opus/tracker music)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null
  else
    echo "demo-catalogue: ffmpeg is needed to decode Ogg/Opus/tracker music (sudo apt-get install ffmpeg)" >&2
    exit 2
  fi
fi

# label|package|folder inside the package (music only, no sound effects)|find expression
CATALOGUE=(
  "wesnoth|wesnoth-1.16-music|usr/share/games/wesnoth/1.16/data/core/music|-name *.ogg"
  "fretsonfire|fretsonfire-songs-muldjord|usr/share/games/fretsonfire/data/songs|-name song.ogg"
  "fretsonfire|fretsonfire-songs-sectoid|usr/share/games/fretsonfire/data/songs|-name song.ogg"
  "hedgewars|hedgewars-data|usr/share/games/hedgewars/Data/Music|-name *.ogg"
  "megaglest|megaglest-data|usr/share/games/megaglest|-path */music/*.ogg"
  "supertux|supertux-data|usr/share/games/supertux2/music|-name *.ogg"
  "freedroidrpg|freedroidrpg-data|usr/share/freedroidrpg/data/sound/music|-name *.ogg"
  "pingus|pingus-data|usr/share/games/pingus/data/music|( -name *.it -o -name *.s3m -o -name *.xm -o -name *.mod )"
  "warzone2100|warzone2100-music|usr/share/games/warzone2100|-name *.opus"
  "widelands|widelands-data|usr/share/games/widelands/data/music|-name *.ogg"
  "extremetuxracer|extremetuxracer-data|usr/share/games/etr/music|-name *.ogg"
  "lincity-ng|lincity-ng-data|usr/share/games/lincity-ng/music|-name *.ogg"
  "blobwars|blobwars-data|usr/share/games/blobwars/music|-type f ! -name *.tags"
  "flare|flare-game|usr/share/games/flare/mods|-path */music/*.ogg"
)

step() { echo; echo "== $1"; }
elapsed() { echo "   took $(( $(date +%s) - $1 )) s"; }

step "1/4 download packages into $DEBS"
t0=$(date +%s)
mkdir -p "$DEBS" "$EXTRACT"
for entry in "${CATALOGUE[@]}"; do
  IFS='|' read -r _ pkg _ _ <<<"$entry"
  if ! ls "$DEBS/${pkg}"_*.deb >/dev/null 2>&1; then
    (cd "$DEBS" && apt-get download "$pkg")
  fi
done
elapsed "$t0"

step "2/4 unpack (dpkg -x, no installation) and collect the music folders into $MUSIC/<game>/"
t0=$(date +%s)
rm -rf "$MUSIC"
for entry in "${CATALOGUE[@]}"; do
  IFS='|' read -r label pkg folder expr <<<"$entry"
  dest="$EXTRACT/$pkg"
  if [ ! -d "$dest/usr" ]; then
    mkdir -p "$dest"
    dpkg -x "$DEBS/${pkg}"_*.deb "$dest"
  fi
  mkdir -p "$MUSIC/$label"
  # shellcheck disable=SC2086 # expr is a find expression on purpose
  set -f
  find "$dest/$folder" $expr -print0 | while IFS= read -r -d '' f; do
    base="$(basename "$f")"
    case "$base" in
      song.ogg) name="$(basename "$(dirname "$f")").ogg" ;;   # Frets on Fire: one folder per song
      *.*) name="$base" ;;
      *) name="$base.ogg" ;;                                   # Blob Wars ships extensionless Ogg files
    esac
    ln -sf "$f" "$MUSIC/$label/${name// /_}"
  done
  set +f
done
for d in "$MUSIC"/*/; do printf '   %-16s %4d files\n' "$(basename "$d")" "$(find "$d" -type l | wc -l)"; done
echo "   total $(find "$MUSIC" -type l | wc -l) files"
elapsed "$t0"

step "3/4 features (--parallel $PARALLEL) -> $FEATS"
t0=$(date +%s)
cd "$REPO"
dotnet build src/Client -c Release -v quiet -nologo >/dev/null
set +e
dotnet run --project src/Client -c Release --no-build -- features "$MUSIC" --out "$FEATS" --label-from parent-folder --parallel "$PARALLEL"
status=$?
set -e
echo "   features exit code $status (0 all succeeded, 1 some failed: see the 'failed:' lines)"
elapsed "$t0"

if [ "${SKIP_ANALYZE:-0}" = "1" ]; then
  exit 0
fi

step "4/4 hubness report: raw SKL vs Mutual Proximity (labels come from the JSONL)"
t0=$(date +%s)
dotnet run --project src/Client -c Release -- analyze --features "$FEATS" \
  --methods none,mp-empiric,mp-independent,mp-normal,mp-quantile,mp-sampled --recall-against mp-empiric --format table
elapsed "$t0"
