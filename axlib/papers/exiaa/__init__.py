"""EXIAA: explainable injections for adversarial attack: the attack, its baseline, the grid and
its tables."""
