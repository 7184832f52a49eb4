"""AXAI (Rahnama and Tseng, CVPR-W 2021): attack distributions (3.2, App. C), quantile selection
(3.3), segment ablations (App. B, E.4), speech and text (4.1, 4.2, App. C.4)."""
