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
# Word-splitting of the extra arguments is intended (they are flags), globbing is not.
set -f
# shellcheck disable=SC2086
llmconform run --out "$out" --format json --format junit --format markdown --format html \
  --format badge --format shields ${LLMCONFORM_ACTION_ARGS:-}
code=$?
set +f
if [ -f "$out/report.md" ]; then
  cat "$out/report.md" >> "$summary"
else
  echo "llmconform could not write a report (exit code $code); see the log." >> "$summary"
fi
echo "exit-code=$code" >> "$output"
exit 0
