// @class ecrecover-zero
// @shape comparison inside a modifier, against a relayer that is zero until set
// @members
    address internal relayer__ID__;
    address internal relayAdmin__ID__ = msg.sender;
    mapping(address => uint256) internal relayNonce__ID__;
    mapping(address => uint256) internal relayed__ID__;

    modifier relayerSigned__ID__(bytes32 h, uint8 v, bytes32 r, bytes32 s) {
        {{REQ(ecrecover(h, v, r, s) == relayer__ID__)}} // @bug
        _;
    }

    function setRelayer__ID__(address x) public {
        {{REQ(msg.sender == relayAdmin__ID__)}}
        relayer__ID__ = x;
    }

    function relay__ID__(uint256 amount, uint8 v, bytes32 r, bytes32 s)
        public
        relayerSigned__ID__({{KEC(address(this), msg.sender, amount, relayNonce__ID__[msg.sender])}}, v, r, s)
    {
        relayNonce__ID__[msg.sender] += 1;
        relayed__ID__[msg.sender] += amount;
    }
