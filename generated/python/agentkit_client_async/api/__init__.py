# flake8: noqa

# import apis into api package
from agentkit_client_async.api.agents_api import AgentsApi
from agentkit_client_async.api.compatibility_api import CompatibilityApi
from agentkit_client_async.api.console_api import ConsoleApi
from agentkit_client_async.api.health_api import HealthApi
from agentkit_client_async.api.tasks_api import TasksApi
from agentkit_client_async.api.webhook_deliveries_api import WebhookDeliveriesApi

