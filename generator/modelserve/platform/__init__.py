"""The platforms an environment runs on, as data: what each supported release accepts."""
