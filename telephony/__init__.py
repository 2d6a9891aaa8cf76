"""Asterisk in, call events out: AMI, call tracking, transfers, AudioSocket, speech. Never imports hotline."""
