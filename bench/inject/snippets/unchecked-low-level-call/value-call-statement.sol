// @class unchecked-low-level-call
// @shape withdrawal whose `call.value` / `call{value:}` is an expression statement (direct)
// @members
    mapping(address => uint256) internal pending__ID__;

    function deposit__ID__() public payable {
        pending__ID__[msg.sender] += msg.value;
    }

    function withdraw__ID__() public {
        uint256 amount = pending__ID__[msg.sender];
        pending__ID__[msg.sender] = 0;
        {{CALLV(msg.sender, amount)}}; // @bug
    }
