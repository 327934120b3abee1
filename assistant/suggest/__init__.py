"""The one suggestion pipeline (encode → rank → read emotion), used by the service, the CLI and
every evaluation, so that a figure in the README is what the service does."""
