// @class unchecked-low-level-call
// @shape relayed `target.call(data)` without value, result dropped, then marked as executed
// @members
    mapping(bytes32 => bool) internal executed__ID__;

    function relay__ID__(address target, bytes memory data, bytes32 id) public {
        {{REQ(!executed__ID__[id])}}
        target.call(data); // @bug
        executed__ID__[id] = true;
    }
