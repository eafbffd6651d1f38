# pytester runs small pytest sessions in-process, to test our pytest plugin as a user would.
pytest_plugins = ["pytester"]
