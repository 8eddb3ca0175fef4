"""What the app reads once per process, before its first request: the config files.

The flows and the topic classifier are loaded with the IVR blueprint (hotline.web.ivr). Each
loader keeps what it read for the life of the process, so a request only looks it up; a config
file that is missing or wrong refuses the start instead of failing a caller's webhook.
"""

from __future__ import annotations

from pathlib import Path

from callbacks.sms.config import load_sms_config
from callbacks.sms.followup_text import load_sms_templates
from callbacks.work_items.return_call_config import load_return_call_config
from hotline.supervision.live_setup import load_live_setup
from hotline.workdays import load_calendar
from routing.config import load_queue_prompts, load_routing_config


def load_config_files(config_dir: Path) -> None:
    """Read and check every config file the webhooks, the API and the pages use."""
    load_routing_config(config_dir)
    load_queue_prompts(config_dir)
    load_live_setup(config_dir)  # regions, topics, routing and alert thresholds
    load_return_call_config(config_dir)
    load_sms_config(config_dir)
    load_sms_templates(config_dir)
    load_calendar(config_dir)
