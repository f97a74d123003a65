# Seed 002, "nnモジュールでクラスを自作" section: TwoLayerNet subclass with SGD.
import tensorgraft as torch

class TwoLayerNet(torch.nn.Module):
    def __init__(self,D_in,H,D_out):
        super(TwoLayerNet,self).__init__()
        self.linear1=torch.nn.Linear(D_in,H) # 第1層
        self.linear2=torch.nn.Linear(H,D_out) # 第2層

    def forward(self,x):
        h_relu=self.linear1(x).clamp(min=0) # relu
        y_pred=self.linear2(h_relu) # 予測値を算出

        return y_pred

N,D_in,H,D_out=64,1000,100,10

x=torch.randn(N,D_in)
y=torch.randn(N,D_out)

model=TwoLayerNet(D_in,H,D_out)

criterion=torch.nn.MSELoss(reduction="sum")
optimizer=torch.optim.SGD(model.parameters(),lr=1e-4)

for t in range(500): # エポック
    y_pred=model(x)

    loss=criterion(y_pred,y)

    if t%100==99: # 100エポックごとに表示
        print(t,loss.item())

    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
