// @class encode-packed-collision
// @shape two caller `uint256[]` arrays packed and hashed as an order id
// @when >=0.4.22
// @members
    mapping(bytes32 => address) internal orderMaker__ID__;

    function placeOrder__ID__(uint256[] memory ids, uint256[] memory amounts) public {
        bytes32 orderId = keccak256(abi.encodePacked(ids, amounts)); // @bug
        {{REQ(orderMaker__ID__[orderId] == address(0))}}
        orderMaker__ID__[orderId] = msg.sender;
    }
