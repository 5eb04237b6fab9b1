"""Rule files, one per regime (TOML, validated by phileak.assess.rules_model)."""
