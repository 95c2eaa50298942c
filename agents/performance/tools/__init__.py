"""The Performance Agent's tools: each takes boto3 clients and returns structured data."""
