"""HTTP layer: Flask blueprints that parse requests, call the domain and serialize its answers."""
