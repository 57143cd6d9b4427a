"""What the commands share above the registries: loading the configuration with every
registry checking its own section, and showing it."""
