#!/usr/bin/env bash
# The run step of action.yml, kept as a script so it can be tried locally:
#   LLMCONFORM_TARGET=reference GITHUB_STEP_SUMMARY=/tmp/s GITHUB_OUTPUT=/tmp/o bash action/run.sh
# Inputs come from the environment (LLMCONFORM_TARGET, LLMCONFORM_MODEL, LLMCONFORM_API_KEY,
# LLMCONFORM_ACTION_ARGS, LLMCONFORM_OUT). The step always succeeds; the exit code is passed
# on as an output so the reports are uploaded before the job is failed.
set -uo pipefail
out="${LLMCONFORM_OUT:-llmconform-reports}"
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
output="${GITHUB_OUTPUT:-/dev/null}"
[ -n "${LLMCONFORM_MODEL:-}" ] || unset LLMCONFORM_MODEL
[ -n "${LLMCONFORM_API_KEY:-}" ] || unset LLMCONFORM_API_KEY
# The extra arguments are split as a shell would split them (quotes, backslashes), by Python's
# shlex reading the variable itself: nothing in them is ever evaluated as shell code.
py="$(command -v python || command -v python3)"
args=()
argfile="$(mktemp)"
if "$py" -c 'import os, shlex, sys
try:
    args = shlex.split(os.environ.get("LLMCONFORM_ACTION_ARGS", ""))
except ValueError as exc:
    sys.exit(f"error: the action input args cannot be split ({exc}): check its quotes")
sys.stdout.write("".join(arg + "\0" for arg in args))' > "$argfile"; then
  while IFS= read -r -d '' arg; do args+=("$arg"); done < "$argfile"
  rm -f "$argfile"
  llmconform run --out "$out" --format json --format junit --format markdown --format html \
    --format badge --format shields ${args[@]+"${args[@]}"}
  code=$?
else
  rm -f "$argfile"
  code=2
fi
if [ -f "$out/report.md" ]; then
  cat "$out/report.md" >> "$summary"
else
  echo "llmconform could not write a report (exit code $code); see the log." >> "$summary"
fi
echo "exit-code=$code" >> "$output"
exit 0
