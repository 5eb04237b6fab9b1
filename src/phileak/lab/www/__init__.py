"""The lab hospital's first-party website (www.lab-hospital.test): static pages, synthetic content only."""
