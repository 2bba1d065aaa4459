//! Edits for another run of the same scenario: another seed (the part textures kept)
//! and fewer robots.

use factory_layout::fixtures::SMALL_FACTORY;
use factory_layout::FactoryConfig;

fn small_config() -> FactoryConfig {
    match FactoryConfig::from_yaml_str(SMALL_FACTORY) {
        Ok(c) => c,
        Err(e) => panic!("test factory does not load: {e}"),
    }
}

#[test]
fn a_reseeded_run_draws_anew_but_keeps_the_part_textures() {
    let mut cfg = small_config();
    let layout_seed = cfg.seed;
    assert_eq!(cfg.texture_seed(), layout_seed, "textures follow the seed unless told otherwise");
    cfg.reseed(layout_seed + 1);
    assert_eq!((cfg.seed, cfg.texture_seed()), (layout_seed + 1, layout_seed));
    // Reseeding twice keeps the first textures.
    cfg.reseed(layout_seed + 2);
    assert_eq!(cfg.texture_seed(), layout_seed);
}

#[test]
fn keeping_the_first_robots_takes_the_list_then_the_fleet() {
    let cfg = small_config();
    let all: Vec<String> = cfg.resolved_robots().into_iter().map(|r| r.id).collect();
    assert!(all.len() >= 2, "{all:?}");
    for n in [0, 1, all.len() - 1, all.len(), all.len() + 5] {
        let mut c = cfg.clone();
        c.keep_first_robots(n);
        let kept: Vec<String> = c.resolved_robots().into_iter().map(|r| r.id).collect();
        assert_eq!(kept, all[..n.min(all.len())], "n = {n}");
    }
}
