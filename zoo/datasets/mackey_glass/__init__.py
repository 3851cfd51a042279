"""The Mackey-Glass chaotic time series (Jaeger's protocol) as a TFDS dataset."""
