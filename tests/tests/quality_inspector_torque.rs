//! Fastening checks on torque-angle traces from the digital twin's nutrunner model:
//! the envelope is taught from good run-downs, and every injected fault (cross-thread,
//! soft joint, stripped thread) must leave it while good run-downs stay inside.
//! (Here, not in quality_inspector: the nutrunner model is the twin's.)

mod inspector_twin;

use factory_layout::FasteningConfig;
use factory_twin::fastening::{run_down, sample, FasteningFault};
use inspector_twin::*;
use quality_inspector::{
    Correction, DefectClass, Inspector, PartInput, Teacher, TorqueEnvelope, TorqueTrace,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const TEACH_TRACES: usize = 40;

fn trace(t: factory_twin::fastening::TorqueTrace) -> TorqueTrace {
    TorqueTrace { angle_deg: t.angle_deg, torque_nm: t.torque_nm }
}

/// `n` run-downs from one seeded stream, each with its injected fault.
fn run_downs(cfg: &FasteningConfig, seed: u64, n: usize) -> Vec<(Option<FasteningFault>, TorqueTrace)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let spec = sample(cfg, &mut rng);
            (spec.fault, trace(run_down(cfg, &spec)))
        })
        .collect()
}

fn envelope() -> TorqueEnvelope {
    let good = FasteningConfig { fault_probability: 0.0, ..FasteningConfig::default() };
    let traces: Vec<TorqueTrace> = run_downs(&good, 1, TEACH_TRACES).into_iter().map(|(_, t)| t).collect();
    let params = station_config().torque.expect("the test station checks torque");
    TorqueEnvelope::teach(&traces, &params).expect("teach")
}

#[test]
fn every_injected_fastening_fault_leaves_the_envelope_and_good_ones_stay_inside() {
    let env = envelope();
    let cfg = FasteningConfig { fault_probability: 0.3, ..FasteningConfig::default() };
    let (mut good, mut false_alarms, mut faulty, mut missed) = (0, 0, 0, 0);
    for (fault, t) in run_downs(&cfg, 2, 1000) {
        let flagged = env.check(&t).expect("valid trace").is_some();
        match fault {
            None => {
                good += 1;
                false_alarms += usize::from(flagged);
            }
            Some(f) => {
                faulty += 1;
                if !flagged {
                    missed += 1;
                    println!("missed {f:?}: final angle {:?}", t.angle_deg.last());
                }
            }
        }
    }
    println!("{good} good ({false_alarms} flagged), {faulty} faulty ({missed} missed)");
    assert!(faulty > 200 && good > 600, "{faulty} faulty, {good} good");
    assert_eq!((false_alarms, missed), (0, 0));
}

#[test]
fn a_bad_fastening_fails_a_clean_looking_part_and_asks_for_rework() {
    // Reference of type A with images and the fastening envelope.
    let mut r = renderer();
    let mut teacher = Teacher::new(&station_config(), "A").expect("teacher");
    let good = FasteningConfig { fault_probability: 0.0, ..FasteningConfig::default() };
    let traces = run_downs(&good, 3, TEACH_TRACES);
    for k in 0..8 {
        let f = render(&mut r, &clean_scene(1_000_000 + k, "A"));
        teacher.add_part(&view(&f.image), None, None).expect("teach part");
    }
    for (_, t) in &traces {
        teacher.add_torque_trace(t).expect("teach trace");
    }
    let reference = teacher.finish().expect("finish");
    assert!(reference.header.torque.is_some(), "no envelope taught");
    let mut inspector = Inspector::new(&station_config()).expect("inspector");
    inspector.add_reference(reference).expect("reference");

    let frame = render(&mut r, &clean_scene(5, "A"));
    let inspect = |i: &mut Inspector, t: &TorqueTrace| {
        i.inspect(&PartInput {
            visible: view(&frame.image),
            thermal: None,
            torque: Some(t),
            part_type: Some("A"),
        })
        .expect("inspection")
    };
    let (_, ok_trace) = &run_downs(&good, 4, 1)[0];
    let pass = inspect(&mut inspector, ok_trace);
    assert!(pass.passed, "{:?}", pass.findings);

    let stripped = FasteningConfig { fault_probability: 1.0, ..FasteningConfig::default() };
    let (fault, bad_trace) = run_downs(&stripped, 5, 1).remove(0);
    assert!(fault.is_some());
    let fail = inspect(&mut inspector, &bad_trace);
    assert!(!fail.passed);
    assert_eq!(fail.findings.iter().map(|f| f.class).collect::<Vec<_>>(), vec![DefectClass::Torque]);
    assert_eq!(fail.corrections, vec![Correction::Rework]);

    // A malformed trace is an error naming the problem, not a verdict.
    let broken = TorqueTrace { angle_deg: vec![0.0, 2.0, 1.0], torque_nm: vec![0.0, 1.0, 2.0] };
    let e = inspector
        .inspect(&PartInput {
            visible: view(&frame.image),
            thermal: None,
            torque: Some(&broken),
            part_type: Some("A"),
        })
        .expect_err("malformed trace");
    assert!(e.to_string().contains("strictly increasing"), "{e}");
}
