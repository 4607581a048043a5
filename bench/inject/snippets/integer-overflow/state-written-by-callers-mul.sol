// @class integer-overflow
// @shape product of state the caller wrote earlier (`units[msg.sender] * price`) wraps the price check
// @when <0.8.0
// @members
    mapping(address => uint256) internal wantedUnits__ID__;
    mapping(address => uint256) internal ownedUnits__ID__;
    uint256 internal unitPrice__ID__ = 10 ** 15;

    function reserve__ID__(uint256 n) public {
        wantedUnits__ID__[msg.sender] = n;
    }

    function payReserved__ID__() public payable {
        {{REQ(msg.value >= wantedUnits__ID__[msg.sender] * unitPrice__ID__)}} // @bug
        ownedUnits__ID__[msg.sender] = wantedUnits__ID__[msg.sender];
        wantedUnits__ID__[msg.sender] = 0;
    }
