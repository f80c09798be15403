"""The Slack bot (issue 14): the same engine as the API, in the threads where people work."""
