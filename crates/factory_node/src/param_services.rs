//! The rcl_interfaces parameter services of every factory node, served from its
//! [`ParamTable`]: `~/list_parameters`, `~/get_parameters`, `~/get_parameter_types`,
//! `~/describe_parameters`, `~/set_parameters` and `~/set_parameters_atomically`, so
//! that `ros2 param list/get/describe/dump`, rqt_reconfigure and Foxglove see the values
//! the node runs with. Sets are answered, each with its reason (see
//! [`ParamTable::refuse_set`]); none is applied, so `/parameter_events` only carries
//! the node's parameters once, as "new", when it starts.

use crate::param_table::{ParamTable, ParamValue};
use crate::ros::{respond, NodeError, Shutdown};
use futures::{Stream, StreamExt};
use r2r::rcl_interfaces::msg::{
    Parameter, ParameterDescriptor, ParameterEvent, ParameterType, ParameterValue, SetParametersResult,
};
use r2r::rcl_interfaces::srv::{
    DescribeParameters, GetParameterTypes, GetParameters, ListParameters, SetParameters,
    SetParametersAtomically,
};
use r2r::QosProfile;

type Requests<T> = Box<dyn Stream<Item = r2r::ServiceRequest<T>> + Unpin + Send>;

/// The services, created on the node before it moves to its spin thread.
pub(crate) struct ParamServices {
    list: Requests<ListParameters::Service>,
    get: Requests<GetParameters::Service>,
    get_types: Requests<GetParameterTypes::Service>,
    describe: Requests<DescribeParameters::Service>,
    set: Requests<SetParameters::Service>,
    set_atomically: Requests<SetParametersAtomically::Service>,
    events: r2r::Publisher<ParameterEvent>,
}

impl ParamServices {
    pub(crate) fn create(node: &mut r2r::Node) -> Result<ParamServices, NodeError> {
        let qos = QosProfile::services_default;
        // rmw_qos_profile_parameter_events: keep last 1000, reliable, volatile.
        let events_qos = QosProfile::default().keep_last(1000);
        Ok(ParamServices {
            list: Box::new(node.create_service::<ListParameters::Service>("~/list_parameters", qos())?),
            get: Box::new(node.create_service::<GetParameters::Service>("~/get_parameters", qos())?),
            get_types: Box::new(
                node.create_service::<GetParameterTypes::Service>("~/get_parameter_types", qos())?,
            ),
            describe: Box::new(
                node.create_service::<DescribeParameters::Service>("~/describe_parameters", qos())?,
            ),
            set: Box::new(node.create_service::<SetParameters::Service>("~/set_parameters", qos())?),
            set_atomically: Box::new(
                node.create_service::<SetParametersAtomically::Service>(
                    "~/set_parameters_atomically",
                    qos(),
                )?,
            ),
            events: node.create_publisher::<ParameterEvent>("/parameter_events", events_qos)?,
        })
    }
}

/// Serves the parameter services until shutdown.
pub(crate) async fn serve(
    mut services: ParamServices,
    table: ParamTable,
    node_fqn: String,
    stamp: r2r::builtin_interfaces::msg::Time,
    shutdown: Shutdown,
    logger: String,
) {
    let new_parameters: Vec<Parameter> =
        table.names().map(|name| parameter(name, table.get(name).unwrap_or(&ParamValue::NotSet))).collect();
    let event = ParameterEvent { stamp, node: node_fqn, new_parameters, ..Default::default() };
    if let Err(e) = services.events.publish(&event) {
        r2r::log_warn!(&logger, "cannot publish parameter event: {e}");
    }
    loop {
        tokio::select! {
            _ = shutdown.requested() => return,
            Some(req) = services.list.next() => {
                let (names, prefixes) = table.list(&req.message.prefixes, req.message.depth);
                let result = r2r::rcl_interfaces::msg::ListParametersResult { names, prefixes };
                respond(req, ListParameters::Response { result }, &logger);
            }
            Some(req) = services.get.next() => {
                let values = req.message.names.iter().map(|n| value_msg(table.get(n).unwrap_or(&ParamValue::NotSet))).collect();
                respond(req, GetParameters::Response { values }, &logger);
            }
            Some(req) = services.get_types.next() => {
                let types = req.message.names.iter().map(|n| value_msg(table.get(n).unwrap_or(&ParamValue::NotSet)).type_).collect();
                respond(req, GetParameterTypes::Response { types }, &logger);
            }
            Some(req) = services.describe.next() => {
                let descriptors = req.message.names.iter().map(|n| descriptor(n, table.get(n))).collect();
                respond(req, DescribeParameters::Response { descriptors }, &logger);
            }
            Some(req) = services.set.next() => {
                let results = req.message.parameters.iter().map(|p| refused(&table, &p.name)).collect();
                respond(req, SetParameters::Response { results }, &logger);
            }
            Some(req) = services.set_atomically.next() => {
                let names: Vec<&str> = req.message.parameters.iter().map(|p| p.name.as_str()).collect();
                let result = refused(&table, names.first().copied().unwrap_or(""));
                respond(req, SetParametersAtomically::Response { result }, &logger);
            }
        }
    }
}

fn refused(table: &ParamTable, name: &str) -> SetParametersResult {
    SetParametersResult { successful: false, reason: table.refuse_set(name) }
}

fn parameter(name: &str, value: &ParamValue) -> Parameter {
    Parameter { name: name.to_string(), value: value_msg(value) }
}

fn descriptor(name: &str, value: Option<&ParamValue>) -> ParameterDescriptor {
    let type_ = value_msg(value.unwrap_or(&ParamValue::NotSet)).type_;
    let description = match value {
        Some(_) => "see the node's README (Parameters)".to_string(),
        None => format!("unknown parameter '{name}'"),
    };
    ParameterDescriptor {
        name: name.to_string(),
        type_,
        description,
        // Read once at start-up (see ParamTable::refuse_set).
        read_only: true,
        dynamic_typing: false,
        ..Default::default()
    }
}

fn value_msg(value: &ParamValue) -> ParameterValue {
    let mut msg = ParameterValue::default();
    match value {
        ParamValue::NotSet => msg.type_ = ParameterType::PARAMETER_NOT_SET as u8,
        ParamValue::Bool(b) => {
            msg.type_ = ParameterType::PARAMETER_BOOL as u8;
            msg.bool_value = *b;
        }
        ParamValue::Integer(i) => {
            msg.type_ = ParameterType::PARAMETER_INTEGER as u8;
            msg.integer_value = *i;
        }
        ParamValue::Double(d) => {
            msg.type_ = ParameterType::PARAMETER_DOUBLE as u8;
            msg.double_value = *d;
        }
        ParamValue::String(s) => {
            msg.type_ = ParameterType::PARAMETER_STRING as u8;
            msg.string_value = s.clone();
        }
        ParamValue::BoolArray(v) => {
            msg.type_ = ParameterType::PARAMETER_BOOL_ARRAY as u8;
            msg.bool_array_value = v.clone();
        }
        ParamValue::IntegerArray(v) => {
            msg.type_ = ParameterType::PARAMETER_INTEGER_ARRAY as u8;
            msg.integer_array_value = v.clone();
        }
        ParamValue::DoubleArray(v) => {
            msg.type_ = ParameterType::PARAMETER_DOUBLE_ARRAY as u8;
            msg.double_array_value = v.clone();
        }
        ParamValue::StringArray(v) => {
            msg.type_ = ParameterType::PARAMETER_STRING_ARRAY as u8;
            msg.string_array_value = v.clone();
        }
    }
    msg
}
