"""The run itself: the loop that drives every stage, and the commands that start one."""
