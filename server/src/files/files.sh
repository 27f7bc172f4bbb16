# File operations inside a workspace container, run as the workspace user so ownership
# and permissions are exactly what its terminal sees. POSIX sh only (dash, bash, BusyBox).
# Paths arrive normalised below /workspace; this script resolves symbolic links physically
# and refuses any result outside /workspace. A failure exits with a code from
# files/outcome.rs and prints "<path><TAB><detail>" on stderr.
#
#   list    DIR                  "<kind><link> <name>/" per entry (kind d|f|o, link l|-);
#                                "/" ends a record because no name can contain it
#   read    FILE MAX             "<size>\n" then the bytes; MAX -1 means no limit
#   write   FILE SIZE MODE BASE  stdin -> FILE, committed only if SIZE bytes arrived;
#                                MODE is replace or create; BASE is the SHA-256 the file
#                                must still have (it was opened with), or - for any
#   mkdir   DIR
#   rename  FROM TO
#   delete  PATH
#   download PATH                "file <size>\n" then the bytes, or "folder\n" then a tar
#   unpack  DIR                  stdin (a tar) -> DIR, never replacing a file that exists
#   clone   URL BRANCH           git clone URL (BRANCH, or - for its default) into the
#                                empty /workspace, never asking for a password
set -u
unset CDPATH
root=/workspace

fail() { printf '%s\t%s\n' "$2" "${3:-}" >&2; exit "$1"; }

inside() {
  case "$1" in "$root" | "$root"/*) ;; *) fail 11 "$2" "it leads outside /workspace through a symbolic link" ;; esac
}

# physical PATH SHOWN: sets $p to PATH with every folder resolved, the last name kept as is
# (so a symbolic link stays a link), and $dir to the folder holding it.
physical() {
  case "${1##*/}" in
    '' | . | ..)
      p=$(cd -P -- "$1" 2>/dev/null && pwd -P) || fail 10 "$2"
      dir=${p%/*}; dir=${dir:-/} ;;
    *)
      dir=${1%/*}
      dir=$(cd -P -- "${dir:-/}" 2>/dev/null && pwd -P) || fail 10 "${2%/*}"
      p="${dir%/}/${1##*/}" ;;
  esac
}

# follow PATH SHOWN: like physical, then follows a final chain of symbolic links.
follow() {
  physical "$1" "$2"
  hops=0
  while [ -L "$p" ]; do
    hops=$((hops + 1))
    [ "$hops" -le 40 ] || fail 11 "$2" "it has too many levels of symbolic links"
    target=$(readlink -- "$p")
    case "$target" in /*) ;; *) target="$dir/$target" ;; esac
    physical "$target" "$2"
  done
  inside "$p" "$2"
}

exists() { [ -e "$1" ] || [ -L "$1" ]; }

op=$1
shift
case "$op" in
list)
  follow "$1" "$1"
  [ -d "$p" ] || fail 13 "$1" "it is not a folder"
  cd -- "$p" 2>/dev/null || fail 18 "$1" "You have no permission to open it."
  for name in * .[!.]* ..?*; do
    if [ -L "$name" ]; then link=l; elif [ -e "$name" ]; then link=-; else continue; fi
    if [ -d "$name" ]; then kind=d; elif [ -f "$name" ]; then kind=f; else kind=o; fi
    printf '%s%s %s/' "$kind" "$link" "$name"
  done
  ;;
read)
  follow "$1" "$1"
  exists "$p" || fail 10 "$1"
  [ -d "$p" ] && fail 14 "$1" "it is a folder"
  [ -f "$p" ] || fail 17 "$1" "it is not a regular file"
  [ -r "$p" ] || fail 18 "$1" "You have no permission to read it."
  size=$(stat -c %s -- "$p") || fail 1 "$1" "Its size could not be read."
  if [ "$2" -ge 0 ] && [ "$size" -gt "$2" ]; then fail 15 "$1" "$size"; fi
  printf '%s\n' "$size"
  exec cat -- "$p"
  ;;
write)
  follow "$1" "$1"
  if exists "$p"; then
    [ "$3" = create ] && fail 12 "$1"
    [ -d "$p" ] && fail 14 "$1" "it is a folder"
    if [ "$4" != - ]; then
      current=$(sha256sum < "$p") || fail 18 "$1" "You have no permission to read it."
      [ "${current%% *}" = "$4" ] || fail 20 "$1"
    fi
  fi
  [ -d "$dir" ] || fail 10 "${1%/*}"
  [ -w "$dir" ] || fail 18 "${1%/*}" "You have no permission to write in it."
  tmp="$dir/.${p##*/}.aicockpit-$$"
  if ! cat > "$tmp"; then rm -f -- "$tmp"; fail 1 "$1" "Writing it failed; is the disk full?"; fi
  got=$(wc -c < "$tmp")
  if [ "$((got))" -ne "$2" ]; then
    rm -f -- "$tmp"
    fail 16 "$1" "It arrived incomplete ($((got)) of $2 bytes); nothing was changed."
  fi
  if exists "$p"; then chmod "$(stat -c %a -- "$p")" "$tmp" 2>/dev/null; fi
  mv -f -- "$tmp" "$p" || { rm -f -- "$tmp"; fail 18 "$1" "You have no permission to replace it."; }
  ;;
mkdir)
  physical "$1" "$1"
  inside "$p" "$1"
  exists "$p" && fail 12 "$1"
  [ -w "$dir" ] || fail 18 "${1%/*}" "You have no permission to write in it."
  mkdir -- "$p" || fail 1 "$1" "It could not be created."
  ;;
rename)
  physical "$1" "$1"
  inside "$p" "$1"
  from=$p
  exists "$from" || fail 10 "$1"
  physical "$2" "$2"
  inside "$p" "$2"
  exists "$p" && fail 12 "$2"
  case "$p/" in "$from"/*) fail 19 "$2" "a folder cannot move into itself" ;; esac
  mv -- "$from" "$p" 2>/dev/null || fail 18 "$1" "You have no permission to move it."
  ;;
delete)
  physical "$1" "$1"
  inside "$p" "$1"
  [ "$p" = "$root" ] && fail 11 "$1" "the workspace folder itself cannot be deleted"
  exists "$p" || fail 10 "$1"
  rm -rf -- "$p" 2>/dev/null || fail 18 "$1" "You have no permission to delete all of it."
  ;;
download)
  follow "$1" "$1"
  exists "$p" || fail 10 "$1"
  if [ -d "$p" ]; then
    cd -- "$dir" 2>/dev/null || fail 18 "${1%/*}" "You have no permission to open it."
    printf 'folder\n'
    exec tar -cf - "./${p##*/}"
  fi
  [ -f "$p" ] || fail 17 "$1" "it is not a regular file"
  [ -r "$p" ] || fail 18 "$1" "You have no permission to read it."
  printf 'file %s\n' "$(stat -c %s -- "$p")"
  exec cat -- "$p"
  ;;
unpack)
  follow "$1" "$1"
  [ -d "$p" ] || fail 13 "$1" "it is not a folder"
  [ -w "$p" ] || fail 18 "$1" "You have no permission to write in it."
  cd -- "$p" 2>/dev/null || fail 18 "$1" "You have no permission to open it."
  # GNU tar and BusyBox tar both: keep existing files, do not restore owners.
  if ! refused=$(tar -x -k -o -f - 2>&1 >/dev/null); then
    first=$(printf '%s\n' "$refused" | head -n 1)
    fail 21 "$1" "${first:-tar failed} (files that were already there are kept)"
  fi
  ;;
clone)
  command -v git >/dev/null 2>&1 ||
    fail 22 "$1" "this workspace's image has no git; choose one that has it, such as the AiCockpit dev image"
  [ -z "$(ls -A "$root" 2>/dev/null)" ] ||
    fail 22 "$1" "/workspace is not empty; a repository is cloned into a new workspace only"
  export GIT_TERMINAL_PROMPT=0 GIT_SSH_COMMAND="ssh -o BatchMode=yes"
  url=$1
  if [ "$2" = - ]; then set --; else set -- --branch "$2"; fi
  if ! said=$(git clone --quiet "$@" -- "$url" "$root" 2>&1); then
    # Leave /workspace as empty as it was, for another try.
    find "$root" -mindepth 1 -delete 2>/dev/null
    fail 22 "$url" "$(printf '%s\n' "$said" | grep -v '^$' | tail -n 1)"
  fi
  ;;
*)
  fail 2 "$op" "unknown operation"
  ;;
esac
