"""podsync in GitHub Actions: pull-request comments, job summaries, outputs, the lock commit.

api.py          the few GitHub REST endpoints used (issue comments, pull requests)
runner.py       the runner's environment: event payload, outputs, job summary
comment.py      the sticky plan comment and its hidden markers; only the action's own count
preview.py      the audio jobs a pull request's previews paid for, carried in its comment
review.py       apply only the plan approved on the merged pull request
branch_tip.py   apply from the tip of the branch, or stand down for a later push
git_auth.py     the github-token for git, through the environment only
state_commit.py commit podsync.lock back to the branch as the Actions bot
lock_rescue.py  when the push fails, the new lock goes to the job summary and a file
action.py       `podsync action plan|apply`: GitHub's steps around podsync.operations
step.py         the action's options and a step's result
comment_step.py the sticky comment as a step posts it, or marks it failed
preview_step.py the preview on a pull request and the audio it paid for
lock_step.py    podsync.lock around a step: the pull request's edits, hand-set audio, commit
step_report.py  the job summary's plan, the step outputs, the log after an apply
"""
