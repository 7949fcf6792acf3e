"""podsync in GitHub Actions: pull-request comments, job summaries, outputs, the lock commit.

api.py          the few GitHub REST endpoints used (issue comments, pull requests)
runner.py       the runner's environment: event payload, outputs, job summary
comment.py      the sticky plan comment and its hidden markers; only the action's own count
preview.py      the audio jobs a pull request's previews paid for, carried in its comment
review.py       apply only the plan approved on the merged pull request
lock_commit.py  commit podsync.lock back to the branch as the Actions bot
action.py       `podsync action plan|apply`: the orchestration
"""
