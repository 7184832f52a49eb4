"""How explainable are adversarially-robust CNNs? (Nourelahi et al., 2022): the study grid and its
analyses."""
