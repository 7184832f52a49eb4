"""One package per paper: ``axai``, ``robust``, ``exiaa``. Each holds that paper's experiments;
a paper package imports the core layer (and the companion's scale-out), never another paper."""
