"""The wallboard (大屏): the centre at a glance, for supervisors and read-only wall displays."""
