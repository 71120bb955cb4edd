"""The Imitation Studio application: scenes, teleoperation, control loop, main window and CLI."""
