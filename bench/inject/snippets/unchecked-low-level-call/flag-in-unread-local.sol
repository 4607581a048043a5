// @class unchecked-low-level-call
// @shape success flag stored in a local that nothing reads
// @members
    mapping(address => uint256) internal owed__ID__;
    mapping(address => bool) internal paid__ID__;

    function register__ID__() public payable {
        owed__ID__[msg.sender] += msg.value;
    }

    function settle__ID__(address to) public {
        {{REQ(!paid__ID__[to])}}
        uint256 amount = owed__ID__[to];
        owed__ID__[to] = 0;
        {{OK(ok, {{CALLV(to, amount)}})}}; // @bug
        paid__ID__[to] = true;
    }
