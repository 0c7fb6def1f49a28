"""What people see: the reporter, the progress bar and the preview page."""
