"""Runtime: settings, the composition root, job kinds, background workers, the scheduler, logging."""
