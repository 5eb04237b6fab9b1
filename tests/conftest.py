pytest_plugins = ["postgres_server"]
