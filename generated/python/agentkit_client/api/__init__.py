# flake8: noqa

# import apis into api package
from agentkit_client.api.agents_api import AgentsApi
from agentkit_client.api.compatibility_api import CompatibilityApi
from agentkit_client.api.console_api import ConsoleApi
from agentkit_client.api.health_api import HealthApi
from agentkit_client.api.tasks_api import TasksApi
from agentkit_client.api.webhook_deliveries_api import WebhookDeliveriesApi

