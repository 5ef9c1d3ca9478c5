# README.md's "## Configuration" key table -> man(7) entries for mqttgwd.conf(5), so that the
# manual page says what the README says (one list of keys to keep up to date).
#   awk -f conf-keys.awk README.md
# Cells are split on "|" outside `code` and not escaped as "\|"; `code` becomes bold.
function roff(s,   out, c, i, code) {
	gsub(/\\\|/, "\001", s)
	gsub(/\\/, "\\e", s)
	out = ""
	code = 0
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "`") {
			out = out (code ? "\\fR" : "\\fB")
			code = !code
		} else if (c == "-") {
			out = out "\\-"
		} else {
			out = out c
		}
	}
	gsub(/\001/, "|", out)
	gsub(/\*\*/, "", out)
	sub(/^[ \t]+/, "", out)
	sub(/[ \t]+$/, "", out)
	if (out ~ /^[.']/)
		out = "\\&" out
	return out
}
/^## Configuration/ { inside = 1; next }
/^## / { inside = 0 }
# the table of Mosquitto's keys (status per key) is not a key table: the README's alone
/^### Mosquitto keys/ { inside = 0 }
!inside || !/^\|/ { next }
/^\|[ -]*\|/ && !/[a-z]/ { next }
{
	line = $0
	gsub(/\\\|/, "\002", line)
	n = split(line, cell, "|")
	if (n < 5)
		next
	for (i = 2; i <= 4; i++)
		gsub(/\002/, "\\|", cell[i])
	if (cell[2] ~ /^ *key *$/)
		next
	print ".TP"
	print roff(cell[2])
	def = roff(cell[3])
	text = roff(cell[4])
	if (def != "")
		text = (text == "" ? "" : text (text ~ /\.$/ ? " " : ". ")) "Default: " def "."
	print text
}
