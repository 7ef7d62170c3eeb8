# flake8: noqa

# import apis into api package
from opscore_client.api.agents_api import AgentsApi
from opscore_client.api.health_api import HealthApi

