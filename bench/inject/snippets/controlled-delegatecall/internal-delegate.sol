// @class controlled-delegatecall
// @shape delegatecall in an internal helper, target and payload passed from a public function
// @members
    function _delegate__ID__(address impl, bytes memory payload) internal returns (bool) {
// @if <0.5.0
        return impl.delegatecall(payload); // @bug
// @else
        (bool ok, ) = impl.delegatecall(payload); // @bug
        return ok;
// @endif
    }

    function run__ID__(address impl, bytes memory payload) public {
        {{REQ(_delegate__ID__(impl, payload))}}
    }
