DROP INDEX feedback_cue_mark_once;
