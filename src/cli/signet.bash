# bash completion for signet(1); installed as
# share/bash-completion/completions/signet.
#
# Commands, verbs and options are read from the --help of the signet being
# completed, so that the completion never lists an option that binary does
# not have.

# The options of a --help text: its usage lines and its option list.
_signet_options()
{
	awk '
		/^usage:/ { usage = 1 }
		/^[[:space:]]*$/ { usage = 0 }
		{
			line = $0
			if (!usage) {
				if (line !~ /^[[:space:]]+--[a-z]/)
					next
				sub(/^[[:space:]]+/, "", line)
				sub(/[[:space:]].*/, "", line)
			}
			while (match(line, /--[a-z][a-z0-9-]*/)) {
				print substr(line, RSTART, RLENGTH)
				line = substr(line, RSTART + RLENGTH)
			}
		}' | sort -u
}

# COMPREPLY from compgen ARGS for the word being completed ($cur), one
# reply a line.
_signet_reply()
{
	mapfile -t COMPREPLY < <(compgen "$@" -- "$cur")
}

_signet()
{
	local cur prev signet cmd verb help verbs i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	signet=${COMP_WORDS[0]}
	COMPREPLY=()

	if [ "$COMP_CWORD" -eq 1 ]; then
		_signet_reply -W "$("$signet" --help 2>/dev/null |
		    awk '/^commands:/ { on = 1; next }
			on && NF == 0 { exit }
			on { print $1 }') --help --version"
		return
	fi

	cmd=${COMP_WORDS[1]}
	help=$("$signet" "$cmd" --help 2>/dev/null) || return
	verbs=$(printf '%s\n' "$help" |
	    sed -n "s/^.*signet $cmd \\([a-z][a-z-]*\\).*\$/\\1/p" | sort -u)
	if [ -n "$verbs" ]; then
		if [ "$COMP_CWORD" -eq 2 ]; then
			_signet_reply -W "$verbs"
			return
		fi
		verb=${COMP_WORDS[2]}
		for i in $verbs; do
			if [ "$i" = "$verb" ]; then
				help=$("$signet" "$cmd" "$verb" --help 2>/dev/null)
				break
			fi
		done
	fi

	case $prev in
	--type)
		_signet_reply -W "ec-p256 ec-p384 ec-p521 rsa-2048
		    rsa-3072 rsa-4096"
		return ;;
	--reason)
		_signet_reply -W "unspecified keyCompromise
		    affiliationChanged superseded cessationOfOperation
		    privilegeWithdrawn cACompromise aACompromise"
		return ;;
	--status)
		_signet_reply -W "valid revoked expired pending failed"
		return ;;
	--pin-source | --database-password-source | --to-password-source)
		_signet_reply -W "file: env: prompt"
		compopt -o nospace 2>/dev/null
		return ;;
	--dir | --batch | --out-dir)
		_signet_reply -d
		return ;;
	--token | --audit-key | --label | --id | --profile | --days | \
	--time | --since | --event | --serial | --expiring | --grace | --to | \
	--database | --pin-env | --max-next-update)
		return ;;
	esac

	if [[ $cur == -* ]]; then
		_signet_reply -W "$(printf '%s\n' "$help" |
		    _signet_options) --help"
		return
	fi
	_signet_reply -f
}

complete -o filenames -F _signet signet
